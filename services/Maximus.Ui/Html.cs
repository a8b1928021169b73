using System.Globalization;
using System.Text.Encodings.Web;

namespace Maximus.Ui;

/// <summary>The few helpers the pages write HTML with: every value from a service goes through <see cref="E"/>.</summary>
internal static class Html
{
    /// <summary>HTML-encodes text (and attribute values).</summary>
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>Escapes a path segment or query value.</summary>
    public static string U(string? text) => Uri.EscapeDataString(text ?? "");

    public static string Ms(double ms) => ms < 1000
        ? ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms"
        : (ms / 1000).ToString("0.0#", CultureInfo.InvariantCulture) + " s";

    public static string Duration(TimeSpan span) => Ms(Math.Max(0, span.TotalMilliseconds));

    public static string Percent(double p) => (p * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>A list of facts as <c>+ (on a b)</c> / <c>− (clear b)</c> lines; "no change" when empty.</summary>
    public static string Change(IReadOnlyList<string>? added, IReadOnlyList<string>? removed)
    {
        if ((added?.Count ?? 0) + (removed?.Count ?? 0) == 0)
        {
            return "<span class=\"muted\">no change</span>";
        }

        var parts = (added ?? []).Select(f => $"<span class=\"add\">+ {E(f)}</span>")
            .Concat((removed ?? []).Select(f => $"<span class=\"del\">− {E(f)}</span>"));
        return string.Join("<br>", parts);
    }
}
