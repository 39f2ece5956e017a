/** Marks UserErrors; Symbol.for, so every copy of this module agrees on it. */
const USER_ERROR = Symbol.for('istio-operator.UserError');

/**
 * An error caused by what the user asked for (a bad flag, a missing file,
 * an invalid IstioOperator). The CLI prints its message without a stack
 * trace and exits 1; anything else is a bug and shows its stack.
 *
 * `instanceof UserError` checks a mark rather than the prototype chain:
 * commands are imported on demand (src/cli/program.ts), and where the tests
 * load the CLI as CommonJS those imports get a second, ES-module copy of
 * this class; an error from one copy must still count as a UserError.
 */
export class UserError extends Error {
  readonly [USER_ERROR] = true;

  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as { [USER_ERROR]?: unknown })[USER_ERROR] === true
    );
  }
}
