export declare function assert(cond: unknown, message?: string): void;
export declare function assertEqual(actual: unknown, expected: unknown, message?: string): void;
export declare function assertRejects(p: unknown, check?: (e: any) => unknown, message?: string): Promise<any>;
export declare function runTests(label: string, tests: Array<{ name: string; fn: (ctx: any) => unknown; skip?: (ctx: any) => boolean }>, ctx: unknown): Promise<{ passed: number; failed: number; skipped: number; lines: string[] }>;
