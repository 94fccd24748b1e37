using NUnit.Framework.Interfaces;

[assembly: StocksRebuild.Tests.Support.DropTestDatabases]

namespace StocksRebuild.Tests.Support;

/// <summary>
/// Every database a test creates on the test server (through the library, ./build.sh or a swap) is dropped when the
/// test ends, pass or fail; one a fixture creates for its tests, when the fixture ends; the few the whole suite
/// shares (<see cref="Databases.IsShared"/>) stay until the server goes. Tests run one at a time, so "created by
/// it" is what appeared while it ran.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
public sealed class DropTestDatabasesAttribute : Attribute, ITestAction
{
    readonly Stack<HashSet<string>?> before = new();

    public ActionTargets Targets => ActionTargets.Test | ActionTargets.Suite;

    // Around the suites that start and stop the server there is none to ask: nothing to drop there.
    public void BeforeTest(ITest test) => before.Push(TestServer.IsStarted ? [.. Names()] : null);

    public void AfterTest(ITest test)
    {
        if (before.Pop() is not { } existed || !TestServer.IsStarted) return;
        var created = Names().Where(n => !existed.Contains(n) && !Databases.IsShared(n)).ToList();
        foreach (var name in created)
        {
            try { Databases.Admin.Drop(name); }
            catch (RunbookException e) { TestContext.Progress.WriteLine($"could not drop test database {name}: {e.Message}"); }
        }
        if (created.Count > 0) TestContext.Out.WriteLine($"{test.Name}: dropped its test database(s) {string.Join(", ", created)}");
    }

    static IReadOnlyList<string> Names() => Databases.Admin.WithPrefix("");
}
