import { Command } from 'commander';
import { OPERATOR_VERSION } from '../../version.js';
import { DEFAULT_RELEASE, RELEASES } from '../../releases/catalog.js';
import { ISTIO_VERSION_ANNOTATION } from '../../api/vocabulary.js';
import { outputOption } from '../output-flag.js';

/**
 * `istio-operator version`: the operator's version, the Istio releases it
 * installs (each from its own templates) and the default one.
 */
export function versionCommand(): Command {
  return new Command('version')
    .description('print the operator version and the Istio releases it installs')
    .addOption(outputOption(['text', 'json']))
    .addHelpText(
      'after',
      '\nThe release an IstioOperator installs comes from its image tag (spec.tag, values.global.tag);\n' +
        `a tag that names no version needs the annotation ${ISTIO_VERSION_ANNOTATION}: "<major.minor>".\n` +
        'With neither, the default release is installed.\n' +
        '\nExamples:\n  istio-operator version\n  istio-operator version -o json',
    )
    .action((opts: { output: 'text' | 'json' }) => {
      if (opts.output === 'json') {
        const releases = RELEASES.map((r) => ({
          version: r.minor,
          patch: r.patch,
          supportedUpstream: r.supported,
          supportEnds: r.supportEnds,
          default: r === DEFAULT_RELEASE,
        }));
        process.stdout.write(
          JSON.stringify(
            { operatorVersion: OPERATOR_VERSION, istioVersion: DEFAULT_RELEASE.patch, releases },
            null,
            2,
          ) + '\n',
        );
        return;
      }
      const rows = RELEASES.map((r) => {
        const notes = [
          ...(r === DEFAULT_RELEASE ? ['default'] : []),
          r.supported
            ? `supported by Istio until ${r.supportEnds}`
            : `end of life since ${r.supportEnds}; still installs`,
        ];
        return `  ${r.minor}  ${r.patch.padEnd(8)}  (${notes.join('; ')})`;
      });
      process.stdout.write(
        `istio-operator ${OPERATOR_VERSION}\nistio ${DEFAULT_RELEASE.patch}\n` +
          `releases it installs:\n${rows.join('\n')}\n`,
      );
    });
}
