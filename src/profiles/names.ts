/** The built-in profiles, in the order `profile list` shows them. */
export const PROFILE_NAMES = [
  'default',
  'demo',
  'minimal',
  'empty',
  'remote',
  'preview',
  'stable',
  'ambient',
  'openshift',
  'openshift-ambient',
] as const;

/** A built-in profile name. */
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Whether `name` is a built-in profile. */
export function isProfileName(name: unknown): name is ProfileName {
  return typeof name === 'string' && (PROFILE_NAMES as readonly string[]).includes(name);
}

/** Profiles that existed once and what to use instead. */
export const REMOVED_PROFILES: Readonly<Record<string, string>> = {
  external: 'the "external" profile has been removed; use the "remote" profile instead',
};
