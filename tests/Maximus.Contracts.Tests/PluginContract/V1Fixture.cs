using System.Text.Json;
using Maximus.ServiceDefaults;

namespace Maximus.Contracts.Tests;

/// <summary>The checked-in wire of a plugin written against contract v1 (<c>PluginContract/v1/</c>, copied to the output).</summary>
internal static class V1Fixture
{
    public const string Manifest = "manifest.json";
    public const string State = "state.json";

    /// <summary>The actions whose answer files exist, in the order of the manifest.</summary>
    public static readonly string[] Actions = ["load", "drive", "unload", "scrap", "ring-bell"];

    /// <summary>The plan that reaches the goal of <c>state.json</c>: action and arguments by parameter name.</summary>
    public static readonly (string Action, Dictionary<string, string> Arguments)[] GoalPlan =
    [
        ("load", new() { ["parcel"] = "p1", ["place"] = "depot" }),
        ("drive", new() { ["from"] = "depot", ["to"] = "house" }),
        ("unload", new() { ["parcel"] = "p1", ["place"] = "house" }),
    ];

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "PluginContract", "v1");

    public static string ActionAnswer(string action) => Path.Combine("actions", action + ".json");

    public static string Request(string name) => Path.Combine("requests", name + ".json");

    public static bool Exists(string relativePath) => File.Exists(Path.Combine(Directory, relativePath));

    public static string Read(string relativePath) => File.ReadAllText(Path.Combine(Directory, relativePath));

    /// <summary>Reads a file with the product's JSON settings (web names, required and non-nullable members enforced).</summary>
    public static T Deserialize<T>(string relativePath) =>
        JsonSerializer.Deserialize<T>(Read(relativePath), MaximusJson.Options) ?? throw new InvalidOperationException($"{relativePath} is null");

    public static JsonElement Parse(string relativePath)
    {
        using var document = JsonDocument.Parse(Read(relativePath));
        return document.RootElement.Clone();
    }
}
