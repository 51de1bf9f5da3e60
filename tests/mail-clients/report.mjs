// The mail-client report: runs doiuse-email (caniemail data) over the HTML mails given as
// arguments, for Outlook (Windows), Gmail, Apple Mail and Yahoo, and prints every feature it
// reports, once, with the clients and mails it concerns. `make mail-clients` compares this
// output with tests/mail-clients/report.txt; each feature listed there has a designed fallback
// in xsl/README.md ("Mail programs").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.DOIUSE_DIR + '/');
const { doIUseEmail } = require('@jsx-email/doiuse-email');
const clients = ['outlook.windows', 'gmail.*', 'apple-mail.*', 'yahoo.*'];

// feature -> { unsupported: Set of clients, notes: Set of "client: note", mails: Set }
const features = new Map();
const files = process.argv.slice(2).sort();
const feature = (name) => {
  if (!features.has(name)) {
    features.set(name, { unsupported: new Set(), notes: new Set(), mails: new Set() });
  }
  return features.get(name);
};
for (const path of files) {
  const result = doIUseEmail(readFileSync(path, 'utf8'), { emailClients: clients });
  const mail = path.replace(/^.*tests\/golden\//, "");
  for (const message of result.errors || []) {
    const m = /^`(.*)` is not supported by `(.*)`$/.exec(message);
    const f = feature(m ? m[1] : message);
    if (m) f.unsupported.add(m[2]);
    f.mails.add(mail);
  }
  for (const message of result.notes || []) {
    const m = /^Note about `(.*)` support for `(.*?)`: (.*)$/.exec(message);
    const f = feature(m ? m[1] : message);
    f.notes.add(m ? `${m[2]}: ${m[3]}` : message);
    f.mails.add(mail);
  }
}
console.log(`# doiuse-email over ${files.map((f) => f.replace(/^.*tests\/golden\//, '')).join(', ')}`);
console.log(`# clients: ${clients.join(', ')}`);
for (const name of [...features.keys()].sort()) {
  const f = features.get(name);
  console.log(`\n${name}`);
  if (f.mails.size !== files.length) console.log(`  only in: ${[...f.mails].sort().join(', ')}`);
  if (f.unsupported.size) console.log(`  not supported: ${[...f.unsupported].sort().join(', ')}`);
  for (const note of [...f.notes].sort()) console.log(`  partial: ${note}`);
}
