namespace Maximus.Benchmarks;

/// <summary>Latency percentiles in milliseconds (nearest-rank).</summary>
public sealed record Percentiles(double P50, double P95, double P99, double Mean, double Max, int Count)
{
    public static Percentiles Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0)
        {
            return new Percentiles(0, 0, 0, 0, 0, 0);
        }

        var sorted = samples.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(Round(Rank(0.50)), Round(Rank(0.95)), Round(Rank(0.99)), Round(sorted.Average()), Round(sorted[^1]), sorted.Length);
    }

    private static double Round(double ms) => Math.Round(ms, 4);
}
