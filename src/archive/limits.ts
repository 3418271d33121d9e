/**
 * The cap on how much an archive may unpack to: a decompression bomb must fail staging with a
 * clear error rather than fill the staging container's disk.
 */
import { UserError } from '../errors.js';
import { formatMb } from '../config/size.js';

export const DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024 ** 3;
export const MAX_UNPACKED_ENV = 'SIDECAR_MAX_UNPACKED_SIZE';

/**
 * What each entry costs beyond its bytes: a file system block. So an archive of a million empty
 * files (an inode bomb, tiny once compressed) meets the same cap as one huge file.
 */
export const ENTRY_COST_BYTES = 4096;

export class UnpackBudget {
  private used = 0;

  constructor(
    readonly archive: string,
    readonly maxBytes: number,
  ) {}

  /** Charges one archive entry (file, dir or link) of `bytes` bytes. */
  takeEntry(bytes: number): void {
    this.take(bytes + ENTRY_COST_BYTES);
  }

  take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.maxBytes) {
      throw new UserError(
        `${this.archive}: unpacks to more than ${formatMb(Math.floor(this.maxBytes / 1024 ** 2))}; refusing a possible decompression bomb`,
        {
          hint: `If the sidecar really is that large, raise the cap with the env var ${MAX_UNPACKED_ENV} (e.g. ${MAX_UNPACKED_ENV}=4G).`,
        },
      );
    }
  }
}
