import { Command } from 'commander';
import { formatDiagnostic, IstioOperatorValidationError } from '../../api/errors.js';
import { renderIstioOperator } from '../../pipeline/render-istio-operator.js';
import { UserError } from '../errors.js';
import { readInputFiles } from '../input.js';

/**
 * `istio-operator validate -f FILE...`: checks each file as a complete
 * IstioOperator (merged over its profile, the way it would be installed).
 * Prints every warning and error with its field path; exits 1 when any file
 * has an error.
 */
export function validateCommand(): Command {
  return new Command('validate')
    .description('check IstioOperator files: schema, semantic rules and deprecated fields')
    .requiredOption(
      '-f, --filename <file>',
      'IstioOperator file to check (repeatable; - is stdin)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .addHelpText(
      'after',
      '\nEach file is checked on its own, merged over the profile it names.\n' +
        'Warnings are printed and do not fail; any error exits 1.\n' +
        '\nExamples:\n' +
        '  istio-operator validate -f my-iop.yaml\n' +
        '  istio-operator validate -f prod.yaml -f canary.yaml\n' +
        '  kubectl get iop -n istio-system my-iop -o yaml | istio-operator validate -f -\n',
    )
    .action(async (opts: { filename: string[] }) => {
      const files = await readInputFiles(opts.filename);
      let invalid = 0;
      for (const file of files) {
        try {
          // The merge's verdict: validate checks, it does not render.
          const { warnings } = renderIstioOperator({ files: [file] }, { render: false });
          for (const w of warnings) process.stderr.write(`${file.name}: ${formatDiagnostic(w)}\n`);
          process.stdout.write(
            `${file.name}: valid${warnings.length ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}\n`,
          );
        } catch (err) {
          if (!(err instanceof IstioOperatorValidationError)) throw err;
          invalid++;
          for (const d of err.diagnostics) {
            process.stderr.write(`${file.name}: ${formatDiagnostic(d)}\n`);
          }
        }
      }
      if (invalid > 0) {
        throw new UserError(
          `${invalid} of ${files.length} file${files.length === 1 ? '' : 's'} invalid`,
        );
      }
    });
}
