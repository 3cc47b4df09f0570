using System.CommandLine;
using Disputes.Tools;

var root = new RootCommand("Developer commands for the professional-challenge suite.")
{
    TokenCommand.Create(),
    LoadCommand.Create(),
    RatiosCommand.Create(),
    BusCommand.Create(),
    DeadLettersCommand.Create(),
    TraceCommand.Create(),
    TimersCommand.Create(),
    IdleCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
