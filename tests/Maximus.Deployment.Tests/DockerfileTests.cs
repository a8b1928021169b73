using System.Text.RegularExpressions;

namespace Maximus.Deployment.Tests;

/// <summary>
/// The images, checked statically (no Docker engine is needed): multi-stage, non-root, chiseled bases, the role
/// as a build argument, a self-contained composite ReadyToRun host, trimming and both architectures for the edge image.
/// </summary>
public sealed partial class DockerfileTests
{
    private const string Host = "services/Maximus.Host/Dockerfile";
    private const string Lite = "edge/Dockerfile.lite";
    private const string Transformer = "services/Maximus.KServe.Transformer/Dockerfile";

    public static TheoryData<string> Dockerfiles() => [Host, Lite, Transformer];

    public static TheoryData<string> HostImages() => [Host, Lite];

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Image_is_multi_stage_with_a_final_stage_that_runs_as_a_non_root_user(string file)
    {
        var dockerfile = Dockerfile.Load(file);

        Assert.True(dockerfile.Stages.Count >= 2, $"{file}: {dockerfile.Stages.Count} stage(s)");
        var final = dockerfile.Stages[^1];
        var user = Assert.Single(final.All("USER"));
        var uid = user.Split(':')[0];
        Assert.Matches("^[0-9]+$", uid);
        Assert.NotEqual("0", uid);
        Assert.Contains(final.All("COPY"), c => c.Contains("--from=build", StringComparison.Ordinal));
        Assert.StartsWith("[", Assert.Single(final.All("ENTRYPOINT")), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Final_base_is_chiseled_or_distroless_and_the_build_runs_on_the_build_platform(string file)
    {
        var dockerfile = Dockerfile.Load(file);

        Assert.Matches("(chiseled|distroless)", dockerfile.Stages[^1].From);
        Assert.StartsWith("--platform=$BUILDPLATFORM", dockerfile.Stages[0].From, StringComparison.Ordinal);
        Assert.Contains(dockerfile.Stages[0].All("ARG"), a => a == "TARGETARCH");
        Assert.Contains(dockerfile.Stages[0].All("RUN"), r => r.Contains("--arch \"$TARGETARCH\"", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(HostImages))]
    public void Role_is_a_build_argument_that_becomes_the_hosts_role_setting(string file)
    {
        var final = Dockerfile.Load(file).Stages[^1];

        Assert.Contains(final.All("ARG"), a => a.StartsWith("ROLE=", StringComparison.Ordinal));
        Assert.Contains(final.All("ENV"), e => e.Contains("ROLE=${ROLE}", StringComparison.Ordinal));
        Assert.Equal("[\"./Maximus.Host\"]", Assert.Single(final.All("ENTRYPOINT")));
    }

    [Fact]
    public void Host_image_is_a_self_contained_composite_ready_to_run_publish_on_runtime_deps()
    {
        var dockerfile = Dockerfile.Load(Host);

        var publish = Assert.Single(dockerfile.Stages[0].All("RUN"));
        Assert.Contains("-p:PublishReadyToRun=true", publish, StringComparison.Ordinal);
        Assert.Contains("-p:PublishReadyToRunComposite=true", publish, StringComparison.Ordinal);
        Assert.Contains("--self-contained true", publish, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime-deps:", dockerfile.Stages[^1].From, StringComparison.Ordinal);
    }

    [Fact]
    public void Edge_image_is_trimmed_self_contained_on_the_smallest_base()
    {
        var dockerfile = Dockerfile.Load(Lite);

        var publish = Assert.Single(dockerfile.Stages[0].All("RUN"));
        Assert.Contains("-p:PublishTrimmed=true", publish, StringComparison.Ordinal);
        Assert.Contains("--self-contained true", publish, StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/runtime-deps:", dockerfile.Stages[^1].From, StringComparison.Ordinal);
        Assert.Contains("linux/arm64", File.ReadAllText(Repository.PathOf(Lite)), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Build_context_leaves_out_build_outputs(string file)
    {
        var ignore = Repository.PathOf(file + ".dockerignore");

        Assert.True(File.Exists(ignore), $"{file}.dockerignore is missing");
        var lines = File.ReadAllLines(ignore);
        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
    }

    [Fact]
    public void Every_dockerfile_in_the_repository_is_checked()
    {
        var found = Directory.EnumerateFiles(Repository.Root, "Dockerfile*", SearchOption.AllDirectories)
            .Select(Repository.Relative)
            .Where(f => !f.EndsWith(".dockerignore", StringComparison.Ordinal) && !f.EndsWith(".cs", StringComparison.Ordinal) && !f.Split('/').Any(p => p is ".git" or "bin" or "obj"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(new[] { Host, Lite, Transformer }.Order(StringComparer.Ordinal), found);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Every_copy_source_is_in_the_build_context_and_not_ignored(string file)
    {
        var context = BuildContext.Of(Repository.Root, file);
        var copies = Dockerfile.Load(file).Stages.SelectMany(s => s.All("COPY").Concat(s.All("ADD"))).ToList();

        Assert.NotEmpty(copies);
        var problems = copies.SelectMany(context.MissingSources).ToList();
        Assert.True(problems.Count == 0, $"{file}: " + string.Join("; ", problems));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_published_project_and_every_project_it_references_are_in_the_copied_context(string file)
    {
        var context = BuildContext.Of(Repository.Root, file);
        var stage = Dockerfile.Load(file).Stages[0];
        var publish = Assert.Single(stage.All("RUN"));
        var project = Assert.Single(publish.Split(' '), w => w.EndsWith(".csproj", StringComparison.Ordinal));
        var copied = stage.All("COPY").Where(c => !c.Contains("--from=", StringComparison.Ordinal))
            .SelectMany(c => BuildContext.Arguments(c).SkipLast(1)).ToList();

        var closure = BuildContext.ProjectClosure(Repository.PathOf(project));

        Assert.Contains(Repository.PathOf(project), closure);
        foreach (var path in closure.Select(Repository.Relative))
        {
            Assert.True(copied.Any(c => path == c || path.StartsWith(c.TrimEnd('/') + "/", StringComparison.Ordinal)), $"{file}: {path} is not copied into the build stage");
            Assert.False(context.IsIgnored(path), $"{file}: {path} is excluded by {context.IgnoreFile}");
        }
    }

    [Fact]
    public void The_copy_check_reports_missing_ignored_and_empty_sources_and_skips_other_stages()
    {
        using var temp = new TempContext();
        temp.Write("app/Program.cs", "x");
        temp.Write("app/bin/Debug/app.dll", "x");
        temp.Write("tests/T.cs", "x");
        temp.Write("Dockerfile.dockerignore", "# rules\n**/bin/\ntests/\n!tests/keep.txt\n");
        temp.Write("tests/keep.txt", "x");
        var context = BuildContext.Of(temp.Root, "Dockerfile");

        Assert.Empty(context.MissingSources("app/ /src/app/"));
        Assert.Empty(context.MissingSources("--chown=1654:1654 [\"app/Program.cs\", \"/src/\"]"));
        Assert.Empty(context.MissingSources("--from=build /app ./"));
        Assert.Empty(context.MissingSources("tests/keep.txt ./"));
        Assert.Empty(context.MissingSources("app/*.cs ./"));
        Assert.Contains("global.json: not in the build context", context.MissingSources("global.json app/Program.cs ./"));
        Assert.Contains("tests/T.cs: excluded by Dockerfile.dockerignore", context.MissingSources("tests/T.cs ./"));
        Assert.Contains("app/bin/: excluded by Dockerfile.dockerignore", context.MissingSources("app/bin/ ./"));
        Assert.Contains("app/*.json: matches nothing in the build context", context.MissingSources("app/*.json ./"));
        Assert.Contains("../outside.txt: outside the build context", context.MissingSources("../outside.txt ./"));
        Assert.True(context.IsIgnored("app/bin/Debug/app.dll"));
        Assert.False(context.IsIgnored("app/Program.cs"));
    }

    [Fact]
    public void Ci_installs_kubectl_from_the_debian_packages_before_the_tests_when_it_is_missing()
    {
        var ci = File.ReadAllText(Repository.PathOf(".ci/run"));

        var install = ci.IndexOf("apt-get install -y -qq --no-install-recommends kubernetes-client", StringComparison.Ordinal);
        Assert.True(install > 0);
        Assert.True(ci.IndexOf("command -v kubectl", StringComparison.Ordinal) < install);
        Assert.True(install < ci.IndexOf("dotnet test --solution Maximus.sln", StringComparison.Ordinal));
    }

    /// <summary>A Dockerfile read into stages of instructions (continuation lines joined, comments dropped).</summary>
    private sealed partial record Dockerfile(IReadOnlyList<Stage> Stages)
    {
        public static Dockerfile Load(string relative)
        {
            var instructions = new List<(string Keyword, string Arguments)>();
            var pending = "";
            foreach (var raw in File.ReadLines(Repository.PathOf(relative)))
            {
                var line = raw.Trim();
                if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
                {
                    continue;
                }

                if (line.EndsWith('\\'))
                {
                    pending += line[..^1].Trim() + " ";
                    continue;
                }

                var full = (pending + line).Trim();
                pending = "";
                var match = Instruction().Match(full);
                Assert.True(match.Success, $"{relative}: not an instruction: {full}");
                instructions.Add((match.Groups[1].Value.ToUpperInvariant(), Spaces().Replace(match.Groups[2].Value, " ")));
            }

            var stages = new List<Stage>();
            foreach (var (keyword, arguments) in instructions)
            {
                if (keyword == "FROM")
                {
                    stages.Add(new Stage(arguments, []));
                }
                else if (stages.Count > 0)
                {
                    stages[^1].Instructions.Add((keyword, arguments));
                }
            }

            return new Dockerfile(stages);
        }

        [GeneratedRegex("^([A-Za-z]+)\\s+(.*)$")]
        private static partial Regex Instruction();

        [GeneratedRegex("\\s+")]
        private static partial Regex Spaces();
    }

    private sealed record Stage(string From, List<(string Keyword, string Arguments)> Instructions)
    {
        public IEnumerable<string> All(string keyword) => Instructions.Where(i => i.Keyword == keyword).Select(i => i.Arguments);
    }
}
