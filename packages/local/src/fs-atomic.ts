// The atomic writers live in @lolpop/core; @lolpop/local keeps exporting them.
export { writeFileAtomic, writeJsonAtomic } from "@lolpop/core";
