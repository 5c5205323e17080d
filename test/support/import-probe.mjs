// Imports the package subpath given as the first argument, by the package's own name (self-reference),
// exactly as an app that depends on it would.
await import(process.argv[2]);
