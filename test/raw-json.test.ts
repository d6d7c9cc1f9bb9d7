import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonMemberText, rawElements, rawMembers } from '../src/raw-json.js';

test("jsonMemberText - gives a member's value as written, big integers, decimals and spaces kept", () => {
  const text =
    '{ "type":"answer", "body" : {"id":12345678901234567890, "x":1.0 , "s":"a,}\\"]"} , "id":"j"}';
  assert.equal(
    jsonMemberText(text, 'body'),
    '{"id":12345678901234567890, "x":1.0 , "s":"a,}\\"]"}',
  );
  assert.equal(jsonMemberText(text, 'id'), '"j"');
  assert.equal(jsonMemberText(text, 'type'), '"answer"');
  assert.equal(jsonMemberText('{"d":[1,[2,{"a":[]}]],"z":null}', 'd'), '[1,[2,{"a":[]}]]');
  assert.equal(jsonMemberText('{"d":-1.5e+3}', 'd'), '-1.5e+3');
  assert.equal(jsonMemberText('{"d":true}', 'd'), 'true');
});

test('jsonMemberText - agrees with JSON.parse: the last of a repeated name, escaped names decoded, none when absent', () => {
  assert.equal(jsonMemberText('{"d":1,"d":2}', 'd'), '2');
  assert.equal(jsonMemberText('{"\\u0064":3}', 'd'), '3');
  assert.equal(jsonMemberText('{"x":{"d":1}}', 'd'), undefined, 'only top-level members');
  assert.equal(jsonMemberText('[{"d":1}]', 'd'), undefined);
  assert.equal(jsonMemberText('{}', 'd'), undefined);
  // Whatever the value, the slice parses back to what JSON.parse read.
  const samples = ['{"d":"x\\\\"}', '{"d":{"a":"}"}}', '{"d":[]}', '{ "d" : "" }'];
  for (const sample of samples) {
    const text = jsonMemberText(sample, 'd');
    assert.ok(text !== undefined, sample);
    assert.deepEqual(JSON.parse(text), (JSON.parse(sample) as { d: unknown }).d, sample);
  }
});

test('rawMembers - every member of an object as written, big integers and nesting kept', () => {
  const members = rawMembers(
    ' { "a" : 65484548474984654 , "b":{"c":[1,"]}"]},"d":"x\\"y", "e": null }',
  );
  assert.deepEqual(Object.fromEntries(members), {
    a: '65484548474984654',
    b: '{"c":[1,"]}"]}',
    d: '"x\\"y"',
    e: 'null',
  });
  assert.equal(rawMembers('[1]').size, 0);
});

test('rawElements - every element of an array as written; nothing for a non-array', () => {
  assert.deepEqual(rawElements('[ {"n":65484548474984654}, "a,b" ,[1,[2]], 1.50 ]'), [
    '{"n":65484548474984654}',
    '"a,b"',
    '[1,[2]]',
    '1.50',
  ]);
  assert.deepEqual(rawElements('[]'), []);
  assert.deepEqual(rawElements('{"a":1}'), []);
});
