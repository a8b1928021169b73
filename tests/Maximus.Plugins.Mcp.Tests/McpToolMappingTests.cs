using System.Text.Json;
using ModelContextProtocol.Protocol;

namespace Maximus.Plugins.Mcp.Tests;

public sealed class McpToolMappingTests
{
    private static Tool Tool(string schema, ToolAnnotations? annotations = null) => new()
    {
        Name = "t",
        InputSchema = JsonDocument.Parse(schema).RootElement.Clone(),
        Annotations = annotations,
    };

    [Fact]
    public void Risky_follows_the_MCP_defaults_destructive_and_open_world_unless_annotated_otherwise()
    {
        Assert.True(McpToolMapping.IsRisky(null));
        Assert.False(McpToolMapping.IsRisky(new ToolAnnotations { ReadOnlyHint = true, OpenWorldHint = false }));
        Assert.False(McpToolMapping.IsRisky(new ToolAnnotations { DestructiveHint = false, OpenWorldHint = false }));
        Assert.True(McpToolMapping.IsRisky(new ToolAnnotations { ReadOnlyHint = true }));
        Assert.True(McpToolMapping.IsRisky(new ToolAnnotations { DestructiveHint = true, OpenWorldHint = false }));
    }

    [Fact]
    public void Configured_risky_wins_over_the_side_file_which_wins_over_the_annotations()
    {
        var tool = Tool("""{"type":"object","properties":{}}""", new ToolAnnotations { DestructiveHint = false, OpenWorldHint = false });
        Assert.False(McpToolMapping.ToAction(tool, null, null).Risky);
        Assert.True(McpToolMapping.ToAction(tool, new McpToolSemantics(Risky: true), null).Risky);
        Assert.False(McpToolMapping.ToAction(tool, new McpToolSemantics(Risky: true), false).Risky);
    }

    [Fact]
    public void String_properties_pass_as_they_are_and_others_are_read_as_json()
    {
        var tool = Tool("""{"type":"object","properties":{"s":{"type":"string"},"n":{"type":"number"},"any":{}}}""");

        var arguments = McpToolMapping.ToArguments(tool, new Dictionary<string, string> { ["s"] = "[1]", ["n"] = "4", ["any"] = "plain words" }, out var problem);

        Assert.Null(problem);
        Assert.Equal(JsonValueKind.String, ((JsonElement)arguments["s"]!).ValueKind);
        Assert.Equal(4, ((JsonElement)arguments["n"]!).GetInt32());
        Assert.Equal("plain words", ((JsonElement)arguments["any"]!).GetString());
    }

    [Fact]
    public void A_typed_argument_that_is_not_json_or_an_unknown_parameter_is_a_problem_naming_it()
    {
        var tool = Tool("""{"type":"object","properties":{"n":{"type":"number"}}}""");

        McpToolMapping.ToArguments(tool, new Dictionary<string, string> { ["n"] = "four" }, out var notJson);
        McpToolMapping.ToArguments(tool, new Dictionary<string, string> { ["m"] = "4" }, out var unknown);

        Assert.Contains("'n'", notJson);
        Assert.Contains("'m'", unknown);
    }

    [Fact]
    public void The_observation_is_the_text_of_the_result_and_names_other_blocks()
    {
        var result = new CallToolResult { Content = [new TextContentBlock { Text = "hello" }, new ImageContentBlock { Data = "AAAA"u8.ToArray(), MimeType = "image/png" }] };

        Assert.Equal("hello\n[image image/png]", McpToolMapping.Observation(result));
    }

    [Fact]
    public void A_server_needs_either_a_command_or_a_url()
    {
        Assert.NotEmpty(new McpServerSettings().Problems());
        Assert.NotEmpty(new McpServerSettings { Command = "x", Url = "http://localhost/mcp" }.Problems());
        Assert.NotEmpty(new McpServerSettings { Url = "ftp://localhost/mcp" }.Problems());
        Assert.Empty(new McpServerSettings { Command = "npx" }.Problems());
        Assert.Empty(new McpServerSettings { Url = "http://localhost:3001/mcp" }.Problems());
    }

    [Fact]
    public void Add_mcp_writes_the_server_into_the_user_config_and_keeps_the_rest()
    {
        var dir = Directory.CreateTempSubdirectory("maximus-config-").FullName;
        var file = McpUserConfig.PathIn(dir);
        File.WriteAllText(file, """{"Maximus":{"Service":{"MaxRequestBodyBytes":1024}}}""");

        McpUserConfig.AddStdioServer(file, "memory", "npx", ["-y", "@modelcontextprotocol/server-memory"], new Dictionary<string, string> { ["MEMORY_FILE_PATH"] = "/tmp/g.jsonl" });
        McpUserConfig.AddStdioServer(file, "memory", "node", ["server.js"]);

        using var written = JsonDocument.Parse(File.ReadAllText(file));
        var maximus = written.RootElement.GetProperty("Maximus");
        Assert.Equal(1024, maximus.GetProperty("Service").GetProperty("MaxRequestBodyBytes").GetInt32());
        var server = maximus.GetProperty("Plugins").GetProperty("Mcp").GetProperty("memory");
        Assert.Equal("node", server.GetProperty("Command").GetString());
        Assert.Equal(["server.js"], server.GetProperty("Args").EnumerateArray().Select(a => a.GetString()));
    }
}
