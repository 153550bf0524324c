/** The gateway's version, taken from deno.json so that one place defines it. */
import manifest from "../deno.json" with { type: "json" };

/** The awmg version string. */
export const VERSION: string = manifest.version;

/** The MCP Gateway specification version this implementation follows. */
export const SPEC_VERSION = "1.0.0";
