/**
 * The text of a file the app wrote (sidecars.yml, Procfile), which must be UTF-8. Node's own
 * decoding would turn a UTF-16 or Latin-1 file into U+FFFD characters without a word, and a
 * sidecar name or command would then be staged wrong: refuse it instead, naming what was found.
 */
import { UserError } from '../errors.js';

/** `bytes` as UTF-8 text (a UTF-8 byte order mark is dropped), or a UserError naming `file`. */
export function decodeUtf8(bytes: Buffer, file: string): string {
  const hint = 'Save it as UTF-8 (any editor\'s "Save with encoding"; `iconv -f ... -t UTF-8`).';
  if (
    (bytes[0] === 0xff && bytes[1] === 0xfe) ||
    (bytes[0] === 0xfe && bytes[1] === 0xff) ||
    bytes.subarray(0, 64).includes(0)
  )
    throw new UserError('is UTF-16 (or holds NUL bytes); it must be UTF-8', { file, hint });
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start));
  } catch {
    const at = firstInvalidByte(bytes, start);
    const line = bytes.subarray(0, at).filter((b) => b === 0x0a).length + 1;
    throw new UserError(
      `is not UTF-8: byte 0x${(bytes[at] ?? 0).toString(16).toUpperCase()} cannot start or continue a UTF-8 character (Latin-1 or Windows-1252?)`,
      { file, line, hint },
    );
  }
}

/**
 * Where UTF-8 breaks first: a byte that cannot start a character, or a start byte without its
 * continuation bytes (the decoder has already said the file is invalid; this only finds where).
 */
function firstInvalidByte(bytes: Buffer, from: number): number {
  let i = from;
  while (i < bytes.length) {
    const c = bytes[i] as number;
    const more =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (more < 0) return i;
    for (let k = 1; k <= more; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return i;
}
