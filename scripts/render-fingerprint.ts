/**
 * Prints an md5 of everything the renderer writes for the inputs the
 * project carries, one line per input and a total, so a refactoring that
 * must not change behaviour can prove it: run it before and after, and
 * the two outputs must be identical (`diff` them).
 *
 *   npm run fingerprint            # or: node --import tsx scripts/render-fingerprint.ts
 *
 * Covered, on every Istio line of the catalog with that line's default
 * patch as the tag (as the goldens render them):
 * - every input of test/conformance/corpus the line applies to, as the
 *   YAML text `manifest generate` prints;
 * - every case of test/conformance/injection-cases.ts the line has,
 *   rendered the same way (the injector ConfigMaps are part of it);
 * - the line's injection templates, each by name.
 *
 * Why md5 of the text and not of the objects: the text is the contract
 * (GitOps diffs, goldens), and key order or scalar style are part of it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RELEASES } from '../src/releases/catalog.js';
import { injectionTemplates } from '../src/render/injection/templates.js';
import { toYamlDocuments } from '../src/render/output.js';
import { casesFor, iopYaml } from '../test/conformance/injection-cases.js';
import { renderOurs } from '../test/conformance/ours.js';
import { CORPUS, corpusFor } from './conformance-goldens.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** `name md5` for every rendered input, in a fixed order. */
function fingerprints(): string[] {
  const lines: string[] = [];
  for (const release of RELEASES) {
    const tag = `tag=${release.patch}`;
    for (const f of corpusFor(release.minor)) {
      const objects = renderOurs(f, readFileSync(join(CORPUS, f), 'utf8'), [tag]);
      lines.push(`${release.minor} corpus/${f} ${md5(toYamlDocuments(objects))}`);
    }
    for (const c of casesFor(release.minor)) {
      const objects = renderOurs(`${c.name}.yaml`, iopYaml(c.spec), [tag]);
      lines.push(`${release.minor} injection-case/${c.name} ${md5(toYamlDocuments(objects))}`);
    }
    for (const [name, text] of Object.entries(injectionTemplates(release))) {
      lines.push(`${release.minor} template/${name} ${md5(text)}`);
    }
  }
  return lines;
}

const lines = fingerprints();
process.stdout.write(
  `${lines.join('\n')}\ntotal ${md5(lines.join('\n'))} (${lines.length} inputs)\n`,
);
