/**
 * The listening socket, kept alive. Deno's server stops accepting for good when accept() fails, as it does
 * when the process runs out of file descriptors; the connections it already has keep working. So the
 * listener is opened again on the same address once descriptors are free, and new connections are refused
 * only meanwhile. (Deno raises the soft descriptor limit to the hard one at start.)
 */
import { getLogger } from "@logtape/logtape";

const RETRY_MS = 500;
const log = getLogger(["awmg", "listen"]);

/** A server that reopens its listener after accept() failures. */
export interface ResilientServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops listening and lets open connections finish. */
  shutdown(): Promise<void>;
}

/** A certificate chain and its key, both PEM text, to serve HTTPS with. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** Reads the certificate chain and key files; a missing or unreadable one is named in the message returned. */
export async function readTlsFiles(paths: { cert: string; key: string }): Promise<TlsFiles | string> {
  const read = async (what: string, path: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      return new Error(`cannot read the TLS ${what} file ${path}: ${(error as Error).message}`);
    }
  };
  const [cert, key] = [await read("certificate", paths.cert), await read("key", paths.key)];
  if (cert instanceof Error) return cert.message;
  if (key instanceof Error) return key.message;
  return { cert, key };
}

/**
 * Serves `handler` on `hostname:port` (HTTPS with `tls`), reopening the listener whenever accepting fails.
 * Throws when the first listener cannot be opened (address in use, a certificate Deno cannot load).
 */
export function serveResilient(
  hostname: string,
  port: number,
  handler: Deno.ServeHandler<Deno.NetAddr>,
  tls?: TlsFiles,
): ResilientServer {
  let current: Deno.HttpServer<Deno.NetAddr>;
  let stopped = false;
  const open = (bind: number): Deno.HttpServer<Deno.NetAddr> => {
    const server = Deno.serve({ hostname, port: bind, onListen: () => {}, ...tls }, handler);
    server.finished.catch((error: Error) => {
      if (stopped) return;
      log.error(
        "Stopped accepting connections ({error}); existing ones keep working, the listener reopens when it can. " +
          "If this says 'Too many open files', raise the hard limit (ulimit -Hn, docker --ulimit nofile=N:N)",
        { error: error.message },
      );
      reopen(server.addr.port);
    });
    return server;
  };
  const reopen = (bind: number) => {
    setTimeout(() => {
      if (stopped) return;
      try {
        current = open(bind);
        log.warn("Accepting connections again on {host}:{port}", { host: hostname, port: bind });
      } catch {
        reopen(bind);
      }
    }, RETRY_MS);
  };
  current = open(port);
  return {
    port: current.addr.port,
    shutdown: async () => {
      stopped = true;
      await current.shutdown();
    },
  };
}
