/**
 * The request validator: TypeBox's compiled checks. Query strings, params and headers arrive as
 * text, so a value that fails the check is converted (`"100"` → 100, `"false"` → false) and checked
 * again; the common case — already valid — costs one compiled check and no conversion (the
 * generic conversion is most of the validation cost at tens of thousands of requests a second).
 * Bodies are never converted: JSON says what it means.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  return (value: unknown) => {
    if (check.Check(value)) return { value };
    if (httpPart !== 'body') {
      const converted = Value.Convert(schema, value);
      if (check.Check(converted)) return { value: converted };
      return { error: check.Errors(converted) as never };
    }
    return { error: check.Errors(value) as never };
  };
};
