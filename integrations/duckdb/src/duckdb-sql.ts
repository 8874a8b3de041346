/** SQL text helpers: quoting identifiers and configuration literals (never data values: those are bound). */

/** Quotes an identifier: `"name"`, doubling inner quotes. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a configuration string (a delimiter, a null string, a type name) as a SQL literal. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A dotted name (`schema.table`, `"odd name".table`) as quoted parts. */
export function quoteQualified(name: string): string {
  const parts: string[] = [];
  let i = 0;
  while (i < name.length) {
    if (name[i] === '"') {
      let j = i + 1;
      let part = "";
      for (; j < name.length; j++) {
        if (name[j] === '"') {
          if (name[j + 1] === '"') {
            part += '"';
            j++;
          } else break;
        } else part += name[j];
      }
      parts.push(part);
      i = j + 1;
      if (name[i] === ".") i++;
    } else {
      const dot = name.indexOf(".", i);
      const end = dot < 0 ? name.length : dot;
      parts.push(name.slice(i, end).trim());
      i = end + 1;
    }
  }
  return parts.map(quoteIdent).join(".");
}

/** Strips trailing semicolons and blank space from one statement. */
export function trimStatement(sql: string): string {
  return sql.replace(/[\s;]+$/u, "");
}
