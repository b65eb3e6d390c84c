package org.slim4j.cli;

public final class Main {
    public static void main(String[] args) {
        System.out.println("slim4j");
    }
}
