using System.Text.RegularExpressions;

namespace Maximus.Contracts;

/// <summary>Agent ids: what memory accepts as the owner of entries, so every service refuses the same ones up front.</summary>
public static partial class AgentIds
{
    /// <summary>What a valid agent id is, for error messages.</summary>
    public const string Rule = "must be 1 to 64 letters, digits, '.', '_' or '-'.";

    public static bool IsValid(string? agentId) => agentId is not null && AgentIdPattern().IsMatch(agentId);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex AgentIdPattern();
}
