/**
 * What Cloud Controller accepts for a sidecar (cf-contract section 2), plus our own limits on names
 * that become directory names and log tags. Pure checks returning a problem sentence or undefined.
 */

/** Cloud Controller: name <= 255 chars. We also use it as a directory and a log tag. */
export const SIDECAR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const PROCESS_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_NAME_LENGTH = 255;
export const MAX_COMMAND_LENGTH = 4096;
/** Ours: the run time keeps a file `<process type>.tsv`, and a file name has at most 255 bytes. */
export const MAX_PROCESS_TYPE_LENGTH = 240;

export function checkSidecarName(name: string): string | undefined {
  if (name.length > MAX_NAME_LENGTH)
    return `is ${name.length} characters long; Cloud Controller allows at most ${MAX_NAME_LENGTH}`;
  if (!SIDECAR_NAME.test(name))
    return `${JSON.stringify(name)} is not a valid sidecar name: use letters, digits, ".", "_" and "-", starting with a letter or digit`;
  return undefined;
}

export function checkProcessType(type: string): string | undefined {
  if (type.length > MAX_PROCESS_TYPE_LENGTH)
    return `is ${type.length} characters long; at most ${MAX_PROCESS_TYPE_LENGTH} (the buildpack names a file of its run time after each process type)`;
  if (!PROCESS_TYPE.test(type))
    return `${JSON.stringify(type)} is not a valid process type: use letters, digits, ".", "_" and "-" (e.g. web, worker)`;
  return undefined;
}
