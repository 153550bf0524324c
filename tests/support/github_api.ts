/**
 * A local imitation of the GitHub REST API on loopback: each path answers as the test's table says, anything
 * else 404 as GitHub does; every request is recorded with its Authorization header.
 */

/** A running imitation. */
export interface GithubApi {
  readonly url: string;
  readonly seen: { readonly method: string; readonly path: string; readonly authorization: string | null }[];
  close(): Promise<void>;
}

/** Starts the imitation on 127.0.0.1 with the given answers by path. */
export function githubApi(
  answers: Record<string, (request: Request) => Response | Promise<Response>>,
): GithubApi {
  const seen: { method: string; path: string; authorization: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    seen.push({ method: request.method, path, authorization: request.headers.get("authorization") });
    return answers[path]?.(request) ?? new Response('{"message":"Not Found"}', { status: 404 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, close: () => server.shutdown() };
}
