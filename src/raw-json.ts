/**
 * Members of a JSON object and elements of a JSON array as the exact text they
 * were sent as: `{"a": 1.0, "b": [12345678901234567890]}` and `b` give
 * `[12345678901234567890]`, where `JSON.stringify(JSON.parse(...).b)` would give
 * `[12345678901234567000]`. For carrying JSON inside JSON byte for byte: a
 * WebSocket frame's body, an event's payload and metadata, a batch's inner
 * events (docs/events-protocol.md). Shared by the hub and the SDK, so both cut
 * a text the same way. `text` must already be known to be valid JSON (it has
 * been parsed): these find boundaries, they do not judge.
 */

/**
 * The text of one member of a JSON object; undefined when `text` is not an
 * object or has no such member. With a name twice, the last one, as JSON.parse.
 */
export function jsonMemberText(text: string, name: string): string | undefined {
  return rawMembers(text).get(name);
}

/** Each member of the JSON object `text`, by name (the last of a name twice): its value's text. */
export function rawMembers(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return members;
  i = skipSpace(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const nameEnd = stringEnd(text, i);
    const start = skipSpace(text, skipSpace(text, nameEnd) + 1); // past the ':'
    const end = valueEnd(text, start);
    members.set(JSON.parse(text.slice(i, nameEnd)) as string, text.slice(start, end));
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return members;
}

/** Each element of the JSON array `text`, as its text; empty when `text` is not an array. */
export function rawElements(text: string): string[] {
  const elements: string[] = [];
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACKET) return elements;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) !== CLOSE_BRACKET) {
    const end = valueEnd(text, i);
    elements.push(text.slice(i, end));
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return elements;
}

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The index just past the string that opens at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if (code === BACKSLASH) j += 2;
    else if (code === QUOTE) return j + 1;
    else j++;
  }
  return j;
}

/** The index just past the value that starts at `i`. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    let j = i;
    while (j < text.length) {
      const code = text.charCodeAt(j);
      if (code === QUOTE) {
        j = stringEnd(text, j);
        continue;
      }
      if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++;
      else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    return j;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < text.length) {
    const code = text.charCodeAt(j);
    if (code === COMMA || code === CLOSE_BRACE || code === CLOSE_BRACKET || isSpace(code)) break;
    j++;
  }
  return j;
}
