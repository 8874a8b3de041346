// The `yaml` package as one CommonJS file in core's dist (see lazy-deps.ts): loading it is one file
// read instead of ~70 module resolutions, a large part of a `lolpop validate`'s start-up.
module.exports = require("yaml");
