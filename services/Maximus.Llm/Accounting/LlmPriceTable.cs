using Microsoft.Extensions.AI;

namespace Maximus.Llm.Accounting;

/// <summary>US dollars per million tokens. Output tokens include thinking tokens (billed as output).</summary>
public sealed class LlmPrice
{
    public decimal InputPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }
}

/// <summary>Token accounting: the cost of a usage by the model's price (longest matching model id prefix).</summary>
public sealed class LlmPriceTable
{
    private readonly List<(string Prefix, LlmPrice Price)> _prices;

    public LlmPriceTable(IReadOnlyDictionary<string, LlmPrice> prices)
    {
        ArgumentNullException.ThrowIfNull(prices);
        _prices = prices
            .Select(p => (p.Key.Trim().ToLowerInvariant(), p.Value))
            .OrderByDescending(p => p.Item1.Length)
            .ToList();
    }

    /// <summary>
    /// Standard-tier list prices (prompts up to 200k tokens) of the Gemini API as of late 2025, USD per 1M tokens.
    /// Configure <c>Maximus:Llm:Prices:&lt;model prefix&gt;</c> to correct them or to price other models.
    /// </summary>
    public static Dictionary<string, LlmPrice> Defaults() => new(StringComparer.OrdinalIgnoreCase)
    {
        ["gemini-3-pro"] = Price(2.00m, 12.00m),
        ["gemini-3-flash"] = Price(0.50m, 3.00m),
        ["gemini-2.5-pro"] = Price(1.25m, 10.00m),
        ["gemini-2.5-flash-lite"] = Price(0.10m, 0.40m),
        ["gemini-2.5-flash"] = Price(0.30m, 2.50m),
        ["gemini-2.0-flash-lite"] = Price(0.075m, 0.30m),
        ["gemini-2.0-flash"] = Price(0.10m, 0.40m),
    };

    /// <summary>The price of a model, or null when the table has none (the cost then counts as 0).</summary>
    public LlmPrice? PriceOf(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        var id = model.Trim().ToLowerInvariant();
        var slash = id.LastIndexOf('/');
        id = slash >= 0 ? id[(slash + 1)..] : id;
        return _prices.FirstOrDefault(p => id.StartsWith(p.Prefix, StringComparison.Ordinal)).Price;
    }

    /// <summary>The cost of one answer in US dollars: input × input price + (output incl. thinking) × output price.</summary>
    public decimal Cost(string? model, UsageDetails? usage)
    {
        if (usage is null || PriceOf(model) is not { } price)
        {
            return 0m;
        }

        var input = usage.InputTokenCount ?? 0;
        var output = usage.OutputTokenCount ?? 0;
        return ((input * price.InputPerMillion) + (output * price.OutputPerMillion)) / 1_000_000m;
    }

    private static LlmPrice Price(decimal input, decimal output) => new() { InputPerMillion = input, OutputPerMillion = output };
}
