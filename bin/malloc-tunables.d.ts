/** Types of bin/malloc-tunables.js (plain JavaScript, run by bin/viva.js on any node). */
export declare const MALLOC_TUNABLES: string;
export declare function withMallocTunables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export declare function forgetMallocTunables(env: NodeJS.ProcessEnv): void;
