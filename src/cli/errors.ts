/**
 * An error caused by what the user asked for (a bad flag, a missing file,
 * an invalid IstioOperator). The CLI prints its message without a stack
 * trace and exits 1; anything else is a bug and shows its stack.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
