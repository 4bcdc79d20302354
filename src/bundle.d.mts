// Types of src/bundle.mjs (plain JavaScript: the `bonsai` executable reads it before tsx is registered).

/**
 * A bundle of `entry` (a .ts file relative to the project folder) matching the sources as they are
 * now, built if needed; with `inline`, the third-party packages it can inline are in it too.
 */
export function bundledEntry(entry: string, name: string, options?: { inline?: boolean; onBuilt?: () => Promise<void> }): Promise<string>;
