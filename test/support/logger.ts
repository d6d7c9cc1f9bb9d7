/** A worker logger that keeps what it is told, to count a worker's complaints; errors are marked `ERROR `. */
export function recordingLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: {
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(m),
      error: (m: string) => lines.push(`ERROR ${m}`),
    },
  };
}
