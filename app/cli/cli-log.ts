/** What a CLI command hands to code that logs (sinks, the monitor): every line to stderr, stdout stays the result. */
export const cliLog = {
  info: (m: string) => process.stderr.write(`${m}\n`),
  warn: (m: string) => process.stderr.write(`${m}\n`),
  error: (m: string) => process.stderr.write(`${m}\n`),
};
