/**
 * Signature inference: the static {@link ArgType} of each macro argument, worked out from the
 * AST and scope alone, and the canonical key that groups call sites by signature, written
 * (key.ts) and read back (parse-key.ts) in this one place (see docs/writing-macros.md,
 * "Signatures"). A wrong type here means wrong code from the generator, so every rule is sound
 * for the JavaScript it sees (trusting TypeScript annotations) and everything else is `unknown`.
 * @packageDocumentation
 */
export { inferArgType, tagArgTypes } from './infer';
export { describeSignature, makeSignature, signatureKey } from './key';
export { parseSignatureKey, SignatureKeyError } from './parse-key';
export { signatureHint } from './hint';
export { applyConstArgs, widen } from './widen';
