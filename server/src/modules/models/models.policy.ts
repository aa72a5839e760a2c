/** Cost of a call in micro-dollars, rounded half up to the micro-dollar: tokens × price per million. */
export function callCostMicros(
  prices: Record<string, { inputPerMillion: number; outputPerMillion: number }>,
  model: string,
  tokensIn: number,
  tokensOut: number,
): number {
  const p = prices[model] ?? prices.default ?? { inputPerMillion: 0, outputPerMillion: 0 };
  const micros = (BigInt(tokensIn) * BigInt(p.inputPerMillion) + BigInt(tokensOut) * BigInt(p.outputPerMillion) + 500_000n) / 1_000_000n;
  return Number(micros);
}
