/**
 * The 2024-11-05 HTTP+SSE transport, for remote servers that predate Streamable HTTP: one long GET stream
 * carries every server message; the server names, in an `endpoint` event, where the client POSTs its own.
 */
import { createParser } from "eventsource-parser";
import { readPreview } from "../jsonrpc/framer.ts";
import { shownUrl } from "../observability/redact.ts";
import { NO_REDIRECTS, redirectRefusal } from "./redirects.ts";

/** What the channel is told. */
export interface LegacySseEvents {
  /** A server message (the data of a `message` event). */
  message(text: string): void;
  /** The stream ended or broke off; the channel is dead. */
  closed(reason: string): void;
}

/** An open HTTP+SSE channel to one server. */
export class LegacySse {
  readonly #endpoint: URL;
  /**
   * The endpoint as errors show it (shownUrl): its query is often the server's session id, which lets anyone
   * who reads the logs post into the session while it lives.
   */
  readonly #shown: string;
  readonly #headers: () => Promise<Record<string, string>>;
  readonly #signal: AbortSignal;

  private constructor(endpoint: URL, headers: () => Promise<Record<string, string>>, signal: AbortSignal) {
    this.#endpoint = endpoint;
    this.#shown = shownUrl(endpoint.href);
    this.#headers = headers;
    this.#signal = signal;
  }

  /**
   * Opens the stream at `target.url` (named as `target.shown`) and waits (up to `timeoutMs`) for the
   * `endpoint` event. The endpoint must be on the stream's own origin: the headers (and tokens) sent there are
   * meant for this server only. An event larger than `maxEventSize` bytes ends the channel.
   */
  static async open(
    { url, shown }: { readonly url: string; readonly shown: string },
    headers: () => Promise<Record<string, string>>,
    events: LegacySseEvents,
    signal: AbortSignal,
    timeoutMs: number,
    maxEventSize: number,
  ): Promise<LegacySse> {
    const response = await fetch(url, {
      ...NO_REDIRECTS,
      headers: { ...(await headers()), accept: "text/event-stream" },
      signal,
    });
    if (!response.ok || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) {
      await response.body?.cancel();
      throw new Error(
        redirectRefusal(response.status, `GET ${shown}`) ??
          `GET ${shown} answered HTTP ${response.status}, not an SSE stream`,
      );
    }
    let announce!: (endpoint: string) => void;
    const announced = new Promise<string>((resolve) => announce = resolve);
    let pending = 0;
    const parser = createParser({
      onEvent: (event) => {
        pending = 0;
        if (event.event === "endpoint") announce(event.data);
        else if (event.event === undefined || event.event === "message") events.message(event.data);
      },
    });
    (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        pending += chunk.byteLength;
        if (pending > maxEventSize) {
          return events.closed(
            `${shown} sent an SSE event of more than ${maxEventSize} bytes (gateway.maxMessageSize)`,
          );
        }
        parser.feed(decoder.decode(chunk, { stream: true }));
      }
      events.closed(`the SSE stream of ${shown} ended`);
    })().catch((error: Error) => events.closed(`the SSE stream of ${shown} broke off: ${error.message}`));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<undefined>((resolve) =>
      timer = setTimeout(() => resolve(undefined), timeoutMs)
    );
    const data = await Promise.race([announced, timedOut]).finally(() => clearTimeout(timer));
    if (data === undefined) throw new Error(`${shown} sent no endpoint event within ${timeoutMs / 1000}s`);
    const endpoint = new URL(data, url);
    if (endpoint.origin !== new URL(url).origin) {
      throw new Error(`${shown} named an endpoint on another origin (${endpoint.origin}); refused`);
    }
    return new LegacySse(endpoint, headers, signal);
  }

  /** POSTs one message; resolves with why it failed, or undefined once the server accepted it. */
  async post(text: string): Promise<string | undefined> {
    try {
      const response = await fetch(this.#endpoint, {
        ...NO_REDIRECTS,
        method: "POST",
        headers: { ...(await this.#headers()), "content-type": "application/json" },
        body: text,
        signal: this.#signal,
      });
      const body = await readPreview(response.body);
      if (response.ok) return undefined;
      return redirectRefusal(response.status, this.#shown) ??
        `${this.#shown} answered HTTP ${response.status}${body ? `: ${body}` : ""}`;
    } catch (error) {
      return `cannot reach ${this.#shown}: ${(error as Error).message}`;
    }
  }
}
