/** The node runtime the shims bootstrap, served from the loopback server. */
import { makeNodeRuntime } from '../buildpack.js';
import type { BenchContext } from '../context.js';

export interface NodeRuntimeServed {
  uri: string;
  sha256: string;
  /** Path of the tarball. */
  tarball: string;
}

/** `real`: the node binary packed whole (a first staging unpacks ~100 MB); else a symlink to it. */
export async function serveNodeRuntime(ctx: BenchContext, real: boolean): Promise<NodeRuntimeServed> {
  const runtime = await makeNodeRuntime(ctx.ws, ctx.node, real);
  const uri = ctx.server.serve(
    `/node/${real ? 'real' : 'link'}/node_22.23.1_linux_x64_cflinuxfs4.tgz`,
    runtime.tarball,
  );
  return { uri, sha256: runtime.sha256, tarball: runtime.tarball };
}
