// The keys a strict object in the schema accepts at a given data path, to suggest the intended key for a
// typo. Walks zod's public definition objects (`_zod.def`), following wrappers, arrays, records and unions.
import type { z } from "zod";
import type { DataPath } from "./locate-yaml-path.js";

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  in?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return schema._zod.def;
}

/** Objects the schema may be at this path (several when a union allows several shapes). */
function objectsAt(schema: z.ZodType, path: DataPath): SchemaDef[] {
  const def = defOf(schema);
  if (def.innerType !== undefined) return objectsAt(def.innerType, path);
  if (def.type === "pipe" && def.in !== undefined) return objectsAt(def.in, path);
  if (def.type === "union") return (def.options ?? []).flatMap((o) => objectsAt(o, path));
  if (path.length === 0) return def.type === "object" ? [def] : [];
  const [seg, ...rest] = path;
  if (def.type === "object" && typeof seg === "string") {
    const child = def.shape?.[seg];
    return child === undefined ? [] : objectsAt(child, rest);
  }
  if (def.type === "array" && def.element !== undefined) return objectsAt(def.element, rest);
  if (def.type === "record" && def.valueType !== undefined) return objectsAt(def.valueType, rest);
  return [];
}

export function schemaKeysAt(schema: z.ZodType, path: DataPath): string[] {
  return [...new Set(objectsAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})))];
}
