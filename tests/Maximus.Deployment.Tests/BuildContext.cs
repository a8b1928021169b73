using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Maximus.Deployment.Tests;

/// <summary>
/// A docker build context as BuildKit sees it: the folder the build runs on (the repository root for every image
/// here) minus what the Dockerfile's ignore file excludes (<c>&lt;Dockerfile&gt;.dockerignore</c> beside it, else
/// <c>.dockerignore</c> at the context root; Docker's rules: patterns relative to the root, <c>*</c> and <c>?</c>
/// within a path segment, <c>**</c> across segments, <c>!</c> re-includes, the last matching line wins, and a
/// pattern that matches a folder excludes everything under it).
/// </summary>
internal sealed partial class BuildContext
{
    private readonly string _root;
    private readonly IReadOnlyList<(Regex Pattern, bool Exclude)> _rules;

    private BuildContext(string root, string? ignoreFile, IReadOnlyList<(Regex, bool)> rules)
    {
        _root = root;
        IgnoreFile = ignoreFile;
        _rules = rules;
    }

    /// <summary>The ignore file in force, relative to the context (null: none).</summary>
    public string? IgnoreFile { get; }

    public static BuildContext Of(string root, string dockerfile)
    {
        var candidates = new[] { dockerfile + ".dockerignore", ".dockerignore" };
        var ignore = candidates.FirstOrDefault(c => File.Exists(Path.Combine(root, c)));
        var rules = new List<(Regex, bool)>();
        foreach (var raw in ignore is null ? [] : File.ReadAllLines(Path.Combine(root, ignore)))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var exclude = !line.StartsWith('!');
            var pattern = (exclude ? line : line[1..].Trim()).Replace('\\', '/').Trim('/');
            pattern = Path.TrimEndingDirectorySeparator(pattern.StartsWith("./", StringComparison.Ordinal) ? pattern[2..] : pattern);
            rules.Add((new Regex("^" + ToRegex(pattern) + "(/.*)?$", RegexOptions.CultureInvariant), exclude));
        }

        return new BuildContext(root, ignore?.Replace('\\', '/'), rules);
    }

    /// <summary>Whether a path relative to the context is left out of it.</summary>
    public bool IsIgnored(string relative)
    {
        var ignored = false;
        foreach (var (pattern, exclude) in _rules)
        {
            if (pattern.IsMatch(relative))
            {
                ignored = exclude;
            }
        }

        return ignored;
    }

    /// <summary>
    /// The sources of a COPY/ADD instruction (its arguments, shell or JSON form) that the build would not find, one
    /// line each; an instruction copying from a stage or image (<c>--from</c>) or from a URL has none to check.
    /// </summary>
    public IReadOnlyList<string> MissingSources(string arguments)
    {
        if (arguments.Contains("--from=", StringComparison.Ordinal))
        {
            return [];
        }

        var words = Arguments(arguments);
        Assert.True(words.Count >= 2, $"COPY {arguments}: a source and a destination are needed");
        var problems = new List<string>();
        foreach (var source in words.Take(words.Count - 1).Where(w => !w.Contains("://", StringComparison.Ordinal)))
        {
            var relative = source.Replace('\\', '/').TrimStart('/');
            relative = relative.StartsWith("./", StringComparison.Ordinal) ? relative[2..] : relative;
            var trimmed = relative.TrimEnd('/');
            if (trimmed is "" or ".")
            {
                continue;
            }

            var full = Path.GetFullPath(Path.Combine(_root, trimmed));
            if (!full.StartsWith(Path.GetFullPath(_root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                problems.Add($"{source}: outside the build context");
                continue;
            }

            var files = Files().ToList();
            if (trimmed.IndexOfAny(['*', '?', '[']) >= 0)
            {
                var glob = new Regex("^" + ToRegex(trimmed) + "(/.*)?$", RegexOptions.CultureInvariant);
                if (!files.Any(f => glob.IsMatch(f) && !IsIgnored(f)))
                {
                    problems.Add($"{source}: matches nothing in the build context");
                }
            }
            else if (File.Exists(full))
            {
                if (IsIgnored(trimmed))
                {
                    problems.Add($"{source}: excluded by {IgnoreFile}");
                }
            }
            else if (Directory.Exists(full))
            {
                if (IsIgnored(trimmed) || !files.Any(f => f.StartsWith(trimmed + "/", StringComparison.Ordinal) && !IsIgnored(f)))
                {
                    problems.Add($"{source}: excluded by {IgnoreFile}");
                }
            }
            else
            {
                problems.Add($"{source}: not in the build context");
            }
        }

        return problems;
    }

    /// <summary>The words of a COPY/ADD instruction without its flags (<c>--chown</c>, <c>--link</c>, ...), JSON form included.</summary>
    public static IReadOnlyList<string> Arguments(string arguments)
    {
        var rest = Flags().Replace(arguments.Trim(), "").Trim();
        return rest.StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(rest) ?? []
            : rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A project file and every project it references, transitively (full paths).</summary>
    public static IReadOnlySet<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next))
            {
                continue;
            }

            Assert.True(File.Exists(next), $"{next} is referenced but does not exist");
            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")?.Value.Replace('\\', '/');
                Assert.False(string.IsNullOrEmpty(include), $"{next}: a ProjectReference without Include");
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include)));
            }
        }

        return seen;
    }

    private IEnumerable<string> Files() =>
        Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(_root, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(".git/", StringComparison.Ordinal));

    /// <summary>A Docker path pattern as a regular expression (<c>**</c> any segments, <c>*</c>/<c>?</c> within one).</summary>
    private static string ToRegex(string pattern)
    {
        var regex = new System.Text.StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    regex.Append("(.*/)?");
                }
                else
                {
                    regex.Append(".*");
                }
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return regex.ToString();
    }

    [GeneratedRegex("--[a-z-]+(=\\S+)?\\s+")]
    private static partial Regex Flags();
}

/// <summary>A throw-away folder to build synthetic contexts in.</summary>
internal sealed class TempContext : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("maximus-context-").FullName;

    public void Write(string relative, string content)
    {
        var path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
