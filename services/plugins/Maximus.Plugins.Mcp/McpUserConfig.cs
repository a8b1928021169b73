using System.Text.Json;
using System.Text.Json.Nodes;

namespace Maximus.Plugins.Mcp;

/// <summary>
/// The user's configuration file, <c>maximus.json</c> in the data folder (<c>~/.maximus/maximus.json</c> by default): read by
/// the CLI and by a host that runs the <c>mcp-bridge</c> role, written by <c>maximus plugins add-mcp</c>. It has the shape of
/// <c>appsettings.json</c> (<c>Maximus:Plugins:Mcp:&lt;name&gt;</c>) and wins over it.
/// </summary>
public static class McpUserConfig
{
    public const string FileName = "maximus.json";

    private static readonly JsonSerializerOptions Written = new() { WriteIndented = true };

    public static string PathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), FileName);

    /// <summary>Adds (or replaces) server <paramref name="name"/> in the file, keeping everything else in it.</summary>
    public static void AddStdioServer(string file, string name, string command, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        var root = File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject : null;
        root ??= [];
        var mcp = Child(Child(Child(root, "Maximus"), "Plugins"), "Mcp");
        var server = new JsonObject
        {
            ["Command"] = command,
            ["Args"] = new JsonArray([.. args.Select(a => (JsonNode?)JsonValue.Create(a))]),
        };
        if (env is { Count: > 0 })
        {
            server["Env"] = new JsonObject(env.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        }

        var existing = mcp.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));
        if (existing is not null)
        {
            mcp.Remove(existing);
        }

        mcp[name] = server;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var temporary = file + ".tmp";
        File.WriteAllText(temporary, root.ToJsonString(Written) + Environment.NewLine);
        File.Move(temporary, file, overwrite: true);
    }

    private static JsonObject Child(JsonObject parent, string name)
    {
        var key = parent.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)) ?? name;
        if (parent[key] is JsonObject child)
        {
            return child;
        }

        child = [];
        parent[key] = child;
        return child;
    }
}
