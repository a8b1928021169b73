using System.Globalization;
using System.Text.Json.Nodes;

namespace Maximus.Llm.Gemini;

/// <summary>A model's thinking knob for one mode: a level (Gemini 3) or a token budget (Gemini 2.5).</summary>
public sealed record GeminiThinkingSetting(string? Level, int? Budget)
{
    /// <summary>The <c>generationConfig.thinkingConfig</c> fields.</summary>
    public JsonObject ToJson() => Level is not null
        ? new JsonObject { ["thinkingLevel"] = Level }
        : new JsonObject { ["thinkingBudget"] = Budget };

    public override string ToString() => Level is not null
        ? $"thinkingLevel {Level}"
        : string.Create(CultureInfo.InvariantCulture, $"thinkingBudget {Budget}");
}

/// <summary>The thinking settings of a family of models (matched by model id prefix) and their allowed range.</summary>
/// <param name="Levels">The thinking levels the model accepts (Gemini 3), or null.</param>
/// <param name="MinBudget">The smallest thinking budget the model accepts, besides 0 when <paramref name="CanDisable"/>.</param>
public sealed record GeminiThinkingProfile(
    string Prefix,
    GeminiThinkingSetting Fast,
    GeminiThinkingSetting Normal,
    GeminiThinkingSetting Deep,
    IReadOnlyList<string>? Levels = null,
    int? MinBudget = null,
    int? MaxBudget = null,
    bool CanDisable = false)
{
    public GeminiThinkingSetting For(ThinkingMode mode) => mode switch
    {
        ThinkingMode.Fast => Fast,
        ThinkingMode.Deep => Deep,
        _ => Normal,
    };

    /// <summary>The accepted range, as the README prints it.</summary>
    public string Range => Levels is not null
        ? "thinkingLevel " + string.Join(" | ", Levels)
        : string.Create(CultureInfo.InvariantCulture, $"thinkingBudget {(CanDisable ? "0 or " : "")}{MinBudget}–{MaxBudget} (-1 dynamic)");

    /// <summary>Keeps a budget inside the model's range (levels pass unchanged).</summary>
    public GeminiThinkingSetting Clamp(GeminiThinkingSetting setting)
    {
        if (setting.Budget is not { } budget || budget == -1 || (budget == 0 && CanDisable) || MinBudget is null || MaxBudget is null)
        {
            return setting;
        }

        return setting with { Budget = Math.Clamp(budget, MinBudget.Value, MaxBudget.Value) };
    }
}

/// <summary>
/// The mode table: fast / normal / deep → <c>thinkingLevel</c> for Gemini 3 models and <c>thinkingBudget</c> for
/// Gemini 2.5 models. Older models (2.0, 1.5) do not think: they get no thinking settings. The budgets are sized
/// so that a mode's thinking fits its latency budget (2 s, 8 s, 30 s) at the models' usual output speed.
/// </summary>
public static class GeminiThinking
{
    private static readonly string[] ProLevels = ["low", "high"];
    private static readonly string[] FlashLevels = ["minimal", "low", "medium", "high"];

    /// <summary>Most specific prefix first.</summary>
    public static IReadOnlyList<GeminiThinkingProfile> Profiles { get; } =
    [
        new("gemini-3-flash", Level("minimal"), Level("medium"), Level("high"), FlashLevels),
        new("gemini-3-pro", Level("low"), Level("high"), Level("high"), ProLevels),
        new("gemini-3", Level("low"), Level("high"), Level("high"), ProLevels),
        new("gemini-2.5-pro", Budget(128), Budget(1024), Budget(4096), MinBudget: 128, MaxBudget: 32768, CanDisable: false),
        new("gemini-2.5-flash-lite", Budget(0), Budget(512), Budget(4096), MinBudget: 512, MaxBudget: 24576, CanDisable: true),
        new("gemini-2.5-flash", Budget(0), Budget(1024), Budget(8192), MinBudget: 1, MaxBudget: 24576, CanDisable: true),
        new("gemini-2.5", Budget(0), Budget(1024), Budget(8192), MinBudget: 1, MaxBudget: 24576, CanDisable: true),
    ];

    /// <summary>The profile of a model id (<c>models/</c> prefixes allowed), or null for a model that does not think.</summary>
    public static GeminiThinkingProfile? ProfileOf(string model)
    {
        var id = NormalizeModel(model);
        return Profiles.FirstOrDefault(p => id.StartsWith(p.Prefix, StringComparison.Ordinal));
    }

    /// <summary>The thinking setting of a model in a concrete mode, with configured overrides; null: send none.</summary>
    public static GeminiThinkingSetting? For(string model, ThinkingMode mode, IReadOnlyDictionary<string, GeminiThinkingOverride>? overrides = null)
    {
        var id = NormalizeModel(model);
        var profile = ProfileOf(id);
        var overridden = overrides?
            .Where(o => id.StartsWith(o.Key.ToLowerInvariant(), StringComparison.Ordinal))
            .OrderByDescending(o => o.Key.Length)
            .Select(o => mode switch { ThinkingMode.Fast => o.Value.Fast, ThinkingMode.Deep => o.Value.Deep, _ => o.Value.Normal })
            .FirstOrDefault(v => v is not null);
        if (overridden is not null && ParseSetting(overridden) is { } custom)
        {
            return profile?.Clamp(custom) ?? custom;
        }

        return profile?.For(mode == ThinkingMode.Adaptive ? ThinkingMode.Normal : mode);
    }

    /// <summary>A configured setting: a word is a level, an integer (-1 or more) a budget; null when neither.</summary>
    public static GeminiThinkingSetting? ParseSetting(string text)
    {
        var value = text.Trim();
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var budget))
        {
            return budget >= -1 ? Budget(budget) : null;
        }

        return value.Length > 0 && value.All(char.IsAsciiLetter) ? Level(value.ToLowerInvariant()) : null;
    }

    public static string NormalizeModel(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var id = model.Trim();
        var slash = id.LastIndexOf('/');
        return (slash >= 0 ? id[(slash + 1)..] : id).ToLowerInvariant();
    }

    private static GeminiThinkingSetting Level(string level) => new(level, null);

    private static GeminiThinkingSetting Budget(int budget) => new(null, budget);
}
