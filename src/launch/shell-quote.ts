/** Quoting for bash: a value in single quotes survives `$`, backquotes and double quotes intact. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
