// Types of src/nodeNavigator.mjs (plain JavaScript: loaded before any TypeScript loader).

/** Defines `navigator` as Node 21 does, where Node has none; call it before pg is loaded. */
export function defineNodeNavigator(): void;
