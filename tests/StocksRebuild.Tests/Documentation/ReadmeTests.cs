using System.Reflection;
using StocksRebuild.Tests.Support;

namespace StocksRebuild.Tests.Documentation;

/// <summary>The README's "What we tested" counts come from the suite: a test added or removed changes them here first.</summary>
[TestFixture]
public sealed class ReadmeTests
{
    /// <summary>Test cases in a category: a [TestCase] counts once each, a [Test] once; a fixture's category covers its tests.</summary>
    static int CountTests(string category) =>
        typeof(ReadmeTests).Assembly.GetTypes()
            .SelectMany(type => type.GetMethods().Select(method => (type, method)))
            .Where(t => t.method.GetCustomAttributes<TestAttribute>().Any() || t.method.GetCustomAttributes<TestCaseAttribute>().Any())
            .Where(t => InCategory(t.type, category) || InCategory(t.method, category))
            .Sum(t => Math.Max(1, t.method.GetCustomAttributes<TestCaseAttribute>().Count()));

    static bool InCategory(MemberInfo member, string category) =>
        member.GetCustomAttributes<CategoryAttribute>().Any(c => c.Name == category);

    [Test]
    public void WhatWeTestedStatesTheCountsOfTheSuite()
    {
        var readme = File.ReadAllText(Path.Combine(BuildScript.RepositoryRoot, "README.md"));
        var (faults, badInputs, security) = (CountTests("Fault"), CountTests("BadInput"), CountTests("Security"));

        Assert.That(faults, Is.GreaterThan(10));
        Assert.That(badInputs, Is.GreaterThan(40));
        Assert.That(readme, Does.Contain($"**{faults} fault tests**, **{badInputs} bad-input tests** and **{security} security tests**"));
    }
}
