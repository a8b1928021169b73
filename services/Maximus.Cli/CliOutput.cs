using System.Text.Json;
using Maximus.ServiceDefaults;
using Spectre.Console;

namespace Maximus.Cli;

internal static class ExitCodes
{
    public const int Ok = 0;
    public const int MissionFailed = 1;
    public const int BadInput = 2;
    public const int Unavailable = 3;
}

internal static class CliOutput
{
    private static readonly JsonSerializerOptions Printed = new(MaximusJson.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Prints one JSON object on one line (what `--json` promises scripts).</summary>
    public static void Json(object value) =>
        Console.Out.WriteLine(JsonSerializer.Serialize(value, value.GetType(), Printed));

    public static int Error(string message, int exitCode = ExitCodes.BadInput)
    {
        Console.Error.WriteLine($"error: {message}");
        return exitCode;
    }

    public static string Escape(string? text) => Markup.Escape(text ?? "");
}
