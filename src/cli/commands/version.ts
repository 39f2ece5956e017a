import { Command, Option } from 'commander';
import { ISTIO_VERSION, OPERATOR_VERSION } from '../../version.js';

/** `istio-operator version`: the operator's version and the Istio version it renders. */
export function versionCommand(): Command {
  return new Command('version')
    .description('print the operator version and the Istio version it renders')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addHelpText('after', '\nExamples:\n  istio-operator version\n  istio-operator version -o json')
    .action((opts: { output: 'text' | 'json' }) => {
      if (opts.output === 'json') {
        process.stdout.write(
          JSON.stringify(
            { operatorVersion: OPERATOR_VERSION, istioVersion: ISTIO_VERSION },
            null,
            2,
          ) + '\n',
        );
      } else {
        process.stdout.write(`istio-operator ${OPERATOR_VERSION}\nistio ${ISTIO_VERSION}\n`);
      }
    });
}
