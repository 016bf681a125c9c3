/** Removes terminal colours: Babel colours code frames when it thinks it may (e.g. CI=true). */
export const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');
