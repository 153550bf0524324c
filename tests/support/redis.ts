/**
 * A real redis-server on loopback for the shared-store tests, on a port of its own, with nothing saved to
 * disk. Tests that need it are ignored where Debian's redis-server is not installed (.ci/run installs it).
 */
import { freePort } from "./gateway.ts";

/** Whether redis-server can run here. */
export const hasRedis = await new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
  .output().then((r) => r.success, () => false);

/** How a test's redis-server runs: its data kept on disk across restarts; TLS only, with a password. */
export interface RedisOptions {
  readonly persistent?: boolean;
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly ca: string;
    readonly password: string;
  };
}

/** A running redis-server. */
export class RunningRedis {
  #child?: Deno.ChildProcess;
  readonly port = freePort();
  readonly #dir?: string;
  readonly #tls?: RedisOptions["tls"];

  constructor(options: RedisOptions = {}) {
    if (options.persistent) this.#dir = Deno.makeTempDirSync({ prefix: "awmg-redis-" });
    this.#tls = options.tls;
  }

  /** Its URL: rediss:// with the password for a TLS server (its certificate names localhost). */
  get url(): string {
    return this.#tls === undefined
      ? `redis://127.0.0.1:${this.port}`
      : `rediss://:${this.#tls.password}@localhost:${this.port}`;
  }

  /** The arguments that make it listen: in the clear, or TLS only with a password. */
  #listen(): string[] {
    if (this.#tls === undefined) return ["--port", String(this.port)];
    const { cert, key, ca, password } = this.#tls;
    return [
      "--port",
      "0",
      "--tls-port",
      String(this.port),
      "--tls-cert-file",
      cert,
      "--tls-key-file",
      key,
      "--tls-ca-cert-file",
      ca,
      "--tls-auth-clients",
      "no",
      "--requirepass",
      password,
    ];
  }

  /** Starts it (again, after stop) and waits until it answers. */
  async start(): Promise<this> {
    this.#child = new Deno.Command("redis-server", {
      args: [
        ...this.#listen(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        ...(this.#dir === undefined
          ? ["--appendonly", "no"]
          : ["--appendonly", "yes", "--appendfsync", "always", "--dir", this.#dir]),
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      const up = await Deno.connect({ hostname: "127.0.0.1", port: this.port }).then((conn) => {
        conn.close();
        return true;
      }, () => false);
      if (up) return this;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not listen on ${this.port}`);
  }

  /** Stops it and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined) return;
    child.kill("SIGKILL");
    await child.status;
  }

  /** Stops it and removes its data. */
  async remove(): Promise<void> {
    await this.stop();
    if (this.#dir !== undefined) await Deno.remove(this.#dir, { recursive: true });
  }
}
