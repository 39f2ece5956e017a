import type { JsonObject } from '../api/types.js';
import { EMBEDDED_PROFILE_TREES, EMBEDDED_PROFILES } from './embedded.js';
import { PROFILE_NAMES, type ProfileName } from './names.js';

/**
 * A built-in profile as an IstioOperator object (a fresh copy each call, so
 * callers may change it). Only the profile file itself: every profile but
 * `default` is meant to be laid over `default`, which `generateIstioOperator`
 * does.
 */
export function builtinProfile(name: ProfileName): JsonObject {
  const json = EMBEDDED_PROFILE_TREES[name];
  if (json === undefined) throw new Error(`profile ${name} is not embedded`);
  return JSON.parse(json) as JsonObject;
}

/** The YAML text of a built-in profile, exactly as shipped in manifests/profiles/. */
export function builtinProfileYaml(name: ProfileName): string {
  const text = EMBEDDED_PROFILES[name];
  if (text === undefined) throw new Error(`profile ${name} is not embedded`);
  return text;
}

/** Every built-in profile name with the first comment line of its file (its summary). */
export function profileSummaries(): { name: ProfileName; description: string }[] {
  return PROFILE_NAMES.map((name) => {
    const lines = builtinProfileYaml(name).split('\n');
    const comment: string[] = [];
    for (const l of lines) {
      if (!l.startsWith('#')) break;
      comment.push(l.replace(/^#\s?/, ''));
    }
    const text = comment.join(' ');
    const m = /^Profile "[^"]+":\s*(.*?\.)(\s|$)/.exec(text);
    return { name, description: m ? m[1]! : text };
  });
}
