/**
 * The Java buildpack memory calculator's algorithm (cf-contract section 3), used to reason about
 * what a JVM does with the MEMORY_LIMIT its start command sees: the staging warning below and the
 * memory proof in the tests. Pure; sizes in bytes.
 *
 *   heap = total - head-room% - 10M direct - (5800 x classes + 14,000,000) metaspace
 *          - 240M code cache - 1M stack x threads
 *
 * The calculator is built to use every byte of `total`: JVM total = heap + non-heap = total.
 */

export const MB = 1024 * 1024;
export const DIRECT_MEMORY = 10 * MB;
export const CODE_CACHE = 240 * MB;
export const STACK_PER_THREAD = 1 * MB;
export const METASPACE_PER_CLASS = 5800;
export const METASPACE_BASE = 14_000_000;
/** The Java buildpack's start command passes --thread-count=250. */
export const JAVA_BUILDPACK_THREADS = 250;

export interface JvmMemoryInputs {
  totalBytes: number;
  loadedClassCount: number;
  threadCount?: number;
  headRoomPercent?: number;
}

export interface JvmMemory {
  heap: number;
  metaspace: number;
  codeCache: number;
  directMemory: number;
  stacks: number;
  headRoom: number;
  /** Everything the JVM may use: heap + metaspace + code cache + direct + stacks. */
  jvmTotal: number;
}

/** Non-heap memory (bytes) for a class and thread count, as the calculator reserves it. */
export function jvmNonHeap(loadedClassCount: number, threadCount = JAVA_BUILDPACK_THREADS): number {
  return (
    DIRECT_MEMORY +
    METASPACE_PER_CLASS * loadedClassCount +
    METASPACE_BASE +
    CODE_CACHE +
    STACK_PER_THREAD * threadCount
  );
}

/** Returns undefined when the non-heap memory alone does not fit (the calculator fails then). */
export function calculateJvmMemory(input: JvmMemoryInputs): JvmMemory | undefined {
  const threads = input.threadCount ?? JAVA_BUILDPACK_THREADS;
  const headRoom = Math.floor((input.totalBytes * (input.headRoomPercent ?? 0)) / 100);
  const metaspace = METASPACE_PER_CLASS * input.loadedClassCount + METASPACE_BASE;
  const stacks = STACK_PER_THREAD * threads;
  const heap = input.totalBytes - headRoom - DIRECT_MEMORY - metaspace - CODE_CACHE - stacks;
  if (heap <= 0) return undefined;
  return {
    heap,
    metaspace,
    codeCache: CODE_CACHE,
    directMemory: DIRECT_MEMORY,
    stacks,
    headRoom,
    jvmTotal: heap + metaspace + CODE_CACHE + DIRECT_MEMORY + stacks,
  };
}

/** A typical Spring Boot app loads about 15,000 classes. */
export const TYPICAL_LOADED_CLASSES = 15_000;
/** Below this much heap a typical app spends its time in garbage collection. */
export const MINIMUM_HEAP_MB = 128;

/**
 * The least MEMORY_LIMIT (MB) that gives a typical app's JVM a sane heap under the Java
 * buildpack: 10M + 96M metaspace + 240M + 250M + 128M heap = 725M.
 */
export function jvmMinimumMb(): number {
  return Math.ceil(jvmNonHeap(TYPICAL_LOADED_CLASSES) / MB) + MINIMUM_HEAP_MB;
}
