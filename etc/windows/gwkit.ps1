<#
.SYNOPSIS
    gwkit on a Windows PC with Docker Desktop: the 06:00 start and the 16:30
    soft restart of the IB Gateway, run by Task Scheduler (gwkit-start.xml,
    gwkit-restart.xml).

.DESCRIPTION
    start    docker compose up -d in -ComposeDir (idempotent: only what is not
             running is started), then wait until stack-init in the gwkit
             container reports the gateway "ready": gw-probe's API-level
             verdict through the relay, not an open port.
    restart  docker exec gwkit stack-init ctl restart gateway: stack-init sends
             RESTART to IBC's command server (the gateway restarts inside the
             same IB session, no second-factor login) and pauses the bot
             around it. Then wait until the gateway has gone through its
             restart and is ready again.

    Every step is appended, with a timestamp, to -LogFile; the same lines go
    to the task's output.

    Exit codes:
      0  done: the gateway is ready
      1  a command failed: compose could not start the stack, stack-init
         refused the restart or did not answer, or the restart never began
         (IBC refused or unreachable: see `docker logs gwkit`,
         init.restart_action_failed)
      2  the gateway is not ready within -TimeoutSec
      3  Docker is not available, or the container is not running

.PARAMETER Action
    start or restart.
.PARAMETER ComposeDir
    The folder holding docker-compose.yml and its .env (start only).
.PARAMETER Container
    The container running stack-init (compose service gwkit).
.PARAMETER Service
    The stack-init service to restart and wait for.
.PARAMETER TimeoutSec
    How long to wait for the gateway to be ready.
.PARAMETER LogFile
    The log file (its folder is created when missing).

.EXAMPLE
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\gwkit\gwkit.ps1 -Action restart
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [ValidateSet('start', 'restart')]
    [string]$Action,

    [string]$ComposeDir = (Join-Path $PSScriptRoot 'compose'),

    [string]$Container = 'gwkit',

    [string]$Service = 'gateway',

    [ValidateRange(10, 86400)]
    [int]$TimeoutSec = 900,

    [string]$LogFile = (Join-Path $env:ProgramData 'gwkit\gwkit.log')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# IBC's answer may take up to 30 s (the restart_action timeout in
# stack.json); until it comes, stack-init still reports the gateway ready.
$BeginTimeoutSec = 60
$PollSec = 2

function Write-Log {
    param([string]$Level, [string]$Message)
    $line = '{0} {1} {2}' -f (Get-Date).ToString('yyyy-MM-ddTHH:mm:sszzz'), $Level, $Message
    Add-Content -Path $LogFile -Value $line -Encoding UTF8
    Write-Output $line
}

# Runs docker with the given arguments; returns its exit code and its
# output (stdout and stderr). Windows PowerShell turns a native command's
# stderr into error records, which 'Stop' would make fatal: 'Continue'
# while docker runs.
function Invoke-Docker {
    param([string[]]$Arguments)
    $previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $output = & docker @Arguments 2>&1 | ForEach-Object { "$_" }
        $code = $LASTEXITCODE
    } finally {
        $ErrorActionPreference = $previous
    }
    return [pscustomobject]@{ Code = $code; Output = (@($output) -join "`n").Trim() }
}

# The service's state as stack-init reports it (ready, starting, ...), or
# $null when stack-init does not answer.
function Get-ServiceState {
    $r = Invoke-Docker -Arguments @('exec', $Container, 'stack-init', 'ctl', 'status', $Service)
    if ($r.Code -ne 0 -or $r.Output -eq '') {
        return $null
    }
    try {
        $lastLine = @($r.Output -split "`n")[-1]
        return ($lastLine | ConvertFrom-Json).state
    } catch {
        return $null
    }
}

# Polls until the state satisfies $Test or $Seconds pass; logs each change.
# Returns $true when it did.
function Wait-State {
    param([scriptblock]$Test, [int]$Seconds)
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $last = 'none'
    while ($true) {
        $state = Get-ServiceState
        $shown = if ($null -eq $state) { 'no answer' } else { $state }
        if ($shown -ne $last) {
            Write-Log 'INFO' ("{0}: {1} ({2:N0} s)" -f $Service, $shown, $clock.Elapsed.TotalSeconds)
            $last = $shown
        }
        if (& $Test $state) {
            return $true
        }
        if ($clock.Elapsed.TotalSeconds -ge $Seconds) {
            return $false
        }
        Start-Sleep -Seconds $PollSec
    }
}

function Assert-Docker {
    if ($null -eq (Get-Command docker -ErrorAction SilentlyContinue)) {
        Write-Log 'ERROR' 'docker is not in PATH (is Docker Desktop installed?)'
        exit 3
    }
    $r = Invoke-Docker -Arguments @('info', '--format', '{{.ServerVersion}}')
    if ($r.Code -ne 0) {
        Write-Log 'ERROR' "the Docker engine does not answer (is Docker Desktop running?): $($r.Output)"
        exit 3
    }
}

function Assert-Running {
    $r = Invoke-Docker -Arguments @('inspect', '--format', '{{.State.Running}}', $Container)
    if ($r.Code -ne 0 -or $r.Output -ne 'true') {
        Write-Log 'ERROR' "container $Container is not running: $($r.Output)"
        exit 3
    }
}

# Task Scheduler fires in the PC's local time; the times are New York's.
function Test-Zone {
    try {
        $ny = [TimeZoneInfo]::ConvertTimeBySystemTimeZoneId([DateTime]::UtcNow, 'Eastern Standard Time')
        Write-Log 'INFO' ('New York time: {0:HH:mm:ss}' -f $ny)
    } catch {
        Write-Log 'WARNING' 'cannot compute New York time on this PC'
    }
    if ((Get-TimeZone).Id -ne 'Eastern Standard Time') {
        Write-Log 'WARNING' ("this PC's time zone is {0}, not Eastern: the task's trigger times are local times" -f (Get-TimeZone).Id)
    }
}

$logDir = Split-Path -Parent $LogFile
if ($logDir -and -not (Test-Path $logDir)) {
    New-Item -ItemType Directory -Force -Path $logDir | Out-Null
}
Write-Log 'INFO' "gwkit.ps1 $Action (container $Container, service $Service, timeout $TimeoutSec s)"
Test-Zone
Assert-Docker

switch ($Action) {
    'start' {
        $composeFile = Join-Path $ComposeDir 'docker-compose.yml'
        if (-not (Test-Path $composeFile)) {
            Write-Log 'ERROR' "no docker-compose.yml in $ComposeDir"
            exit 1
        }
        # From the compose folder, so that compose reads its .env there.
        Set-Location -Path $ComposeDir
        $r = Invoke-Docker -Arguments @('compose', 'up', '-d')
        if ($r.Code -ne 0) {
            Write-Log 'ERROR' "docker compose up -d failed (exit $($r.Code)): $($r.Output)"
            exit 1
        }
        Write-Log 'INFO' 'docker compose up -d: done; waiting for the gateway'
        if (-not (Wait-State -Test { param($s) $s -eq 'ready' } -Seconds $TimeoutSec)) {
            Write-Log 'ERROR' "$Service is not ready after $TimeoutSec s (docker logs $Container)"
            exit 2
        }
        Write-Log 'INFO' "$Service is ready"
        exit 0
    }
    'restart' {
        Assert-Running
        $r = Invoke-Docker -Arguments @('exec', $Container, 'stack-init', 'ctl', 'restart', $Service)
        switch ($r.Code) {
            0 { Write-Log 'INFO' "stack-init ctl restart $Service`: $($r.Output)" }
            1 {
                Write-Log 'ERROR' "stack-init refused the restart: $($r.Output)"
                exit 1
            }
            69 {
                Write-Log 'ERROR' "no stack-init answering in $Container`: $($r.Output)"
                exit 1
            }
            default {
                Write-Log 'ERROR' "docker exec ... stack-init ctl restart $Service failed (exit $($r.Code)): $($r.Output)"
                exit 1
            }
        }
        # The restart has begun once stack-init stops calling the gateway
        # ready (IBC answered OK); it is over once it is ready again.
        if (-not (Wait-State -Test { param($s) $null -ne $s -and $s -ne 'ready' } -Seconds $BeginTimeoutSec)) {
            Write-Log 'ERROR' "the restart did not begin within $BeginTimeoutSec s: IBC refused or unreachable? (docker logs $Container, init.restart_action_failed)"
            exit 1
        }
        if (-not (Wait-State -Test { param($s) $s -eq 'ready' } -Seconds $TimeoutSec)) {
            Write-Log 'ERROR' "$Service is not ready $TimeoutSec s after its restart (docker logs $Container)"
            exit 2
        }
        Write-Log 'INFO' "$Service restarted and ready"
        exit 0
    }
}
