/** Run-time printf (what expansions call when the format string is not a build-time constant). */
export declare function format(format: string, ...args: unknown[]): string;
/** Hex digits of the integer part of a number, or of a bigint. */
export declare function hex(value: unknown): string;
